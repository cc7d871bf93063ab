// Package storetest is the conformance suite every checkpoint.Store passes.
package storetest
