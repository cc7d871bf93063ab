// Package pyjson writes JSON scalars the way Python's json.dumps does with
// its defaults (ensure_ascii): strings with every character outside
// printable ASCII escaped as \uXXXX (surrogate pairs above U+FFFF), and
// floats as Python's repr(float). FATE writes its configuration and the
// MessageToDict twins of model buffers this way; planrun writes them so
// that its files compare byte for byte with FATE's.
package pyjson
