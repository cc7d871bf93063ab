//go:build !unix

package checkpoint

// Without O_NOFOLLOW, openState looks at the path before it opens it.
const (
	oNoFollow = 0
	oNonBlock = 0
)
