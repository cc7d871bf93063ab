// Package fate is planrun's FATE domain: party and model ids, FATE's
// migrate/import configs, the on-disk model layout (1.5.1 to 1.11),
// archives, the native offline migration, the import fix-ups and the
// residue scan that proves no old party id is left in a model.
package fate
