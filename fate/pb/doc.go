// Package pb holds planrun's own protobuf definitions of the FATE model
// messages it reads and rewrites, and the Go code protoc generates from
// them (regenerate with `go generate ./fate/pb`).
package pb

//go:generate protoc --go_out=. --go_opt=paths=source_relative -I . pipeline.proto boosting_tree.proto feature_binning.proto feature_selection.proto pearson.proto data_transform.proto lr_model.proto
