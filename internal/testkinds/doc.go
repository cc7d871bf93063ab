// Package testkinds holds step kinds for tests and benchmarks only: they
// let runner tests and CLI stories exercise scheduling, failure, resume and
// signals without real hosts. They are never registered in steps/all.
package testkinds
