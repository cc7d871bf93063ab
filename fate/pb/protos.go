package pb

import "embed"

// Protos holds planrun's .proto definitions, e.g. to write a model's
// define/proto/ directory as FATE 1.5–1.8 do.
//
//go:embed *.proto
var Protos embed.FS
