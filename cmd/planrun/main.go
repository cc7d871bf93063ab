// Command planrun runs declarative YAML plans; its first job is migrating
// FATE models between clusters. See the README.
package main

import (
	"os"
)

func main() { os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr)) }
