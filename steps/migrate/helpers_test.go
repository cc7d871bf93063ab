package migrate_test

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
)

func sha(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

func jsonNum(s string) json.Number { return json.Number(s) }
