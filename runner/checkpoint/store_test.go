package checkpoint_test

import (
	"testing"

	"github.com/planrun/planrun/runner/checkpoint"
	"github.com/planrun/planrun/runner/checkpoint/storetest"
)

func TestFileStore(t *testing.T) {
	storetest.Run(t, func(t *testing.T) (checkpoint.Store, func() checkpoint.Store) {
		dir := t.TempDir()
		open := func() checkpoint.Store {
			s, err := checkpoint.OpenFile(dir)
			if err != nil {
				t.Fatal(err)
			}
			return s
		}
		return open(), open
	})
}

func TestMemStore(t *testing.T) {
	storetest.Run(t, func(t *testing.T) (checkpoint.Store, func() checkpoint.Store) {
		s := checkpoint.NewMem()
		return s, func() checkpoint.Store { return s }
	})
}
