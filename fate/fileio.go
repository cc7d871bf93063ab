package fate

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"
)

// writeFileAtomic writes a file through a temporary name in the same
// directory, syncs it and renames it into place; it returns the sha256 of
// what was written. On any error the temporary file is removed.
func writeFileAtomic(ctx context.Context, dst string, write func(io.Writer) error) (string, error) {
	dir := filepath.Dir(dst)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(dst)+".tmp-*")
	if err != nil {
		return "", err
	}
	done := false
	defer func() {
		if !done {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	h := sha256.New()
	bw := &countWriter{w: io.MultiWriter(tmp, h)}
	if err := write(bw); err != nil {
		return "", err
	}
	if err := ctx.Err(); err != nil {
		return "", context.Cause(ctx)
	}
	if err := tmp.Chmod(0o644); err != nil { // CreateTemp makes it 0600
		return "", err
	}
	if err := tmp.Sync(); err != nil {
		return "", err
	}
	if err := tmp.Close(); err != nil {
		return "", err
	}
	if err := os.Rename(tmp.Name(), dst); err != nil {
		return "", err
	}
	done = true
	return hex.EncodeToString(h.Sum(nil)), nil
}

type countWriter struct {
	w io.Writer
	n int64
}

func (c *countWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

// FileSHA256 returns the hex sha256 of a file.
func FileSHA256(p string) (string, error) {
	f, err := os.Open(p)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", fmt.Errorf("hash %s: %w", p, err)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

var (
	protoIndexOnce sync.Once
	protoIndex     map[string]protoreflect.MessageType // short name → type
)

// messageType finds a registered message by FATE's proto class name (the
// short name define_meta.yaml records), preferring FATE's own packages.
func messageType(class string) protoreflect.MessageType {
	protoIndexOnce.Do(func() {
		protoIndex = map[string]protoreflect.MessageType{}
		protoregistry.GlobalTypes.RangeMessages(func(mt protoreflect.MessageType) bool {
			d := mt.Descriptor()
			name := string(d.Name())
			prev, seen := protoIndex[name]
			fate := strings.HasPrefix(string(d.FullName()), "com.webank.ai.fate.")
			if !seen || fate && !strings.HasPrefix(string(prev.Descriptor().FullName()), "com.webank.ai.fate.") {
				protoIndex[name] = mt
			}
			return true
		})
	})
	return protoIndex[class]
}

// twinJSON renders a buffer's .json twin as FATE 1.9+ writes it, or nil
// when the message type is not known here or the buffer does not decode.
func twinJSON(class string, data []byte) []byte {
	mt := messageType(class)
	if mt == nil {
		return nil
	}
	msg := mt.New().Interface()
	if err := unmarshalBuffer(data, msg); err != nil {
		return nil
	}
	// A twin is several times the size of its buffer.
	return appendDict(make([]byte, 0, 8*len(data)+64), msg.ProtoReflect())
}
