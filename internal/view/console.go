package view

import (
	"io"

	"github.com/vbauerster/cupwriter"
)

// console is the live view's terminal writer: cupwriter's cursor-up
// redraw, with a size that is never zero. A pseudo-terminal nobody sized
// (script(1), some CI runners, docker -t) reports 0×0, which would make
// the renderer drop every line; a writer that is not a terminal at all
// (tests) has no size either. Both fall back to width × defaultHeight.
type console struct {
	*cupwriter.Writer
	width int
}

const defaultHeight = 40

func newConsole(w io.Writer, width int) *console {
	return &console{Writer: cupwriter.New(w, true), width: width}
}

// IsTerminal is always true: the live view is only chosen for a terminal,
// and tests render it into buffers on purpose.
func (c *console) IsTerminal() bool { return true }

// GetTermSize returns the terminal's size, or the fallback for any
// dimension that is unknown or zero.
func (c *console) GetTermSize() (width, height int, err error) {
	if c.Writer.IsTerminal() {
		width, height, err = c.Writer.GetTermSize()
	}
	if err != nil || width <= 0 {
		width = c.width
	}
	if err != nil || height <= 0 {
		height = defaultHeight
	}
	return width, height, nil
}
