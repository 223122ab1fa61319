package tui

import (
	"fmt"
	"strings"
	"time"

	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"

	"dsp/keys"
)

// humanBytes renders n bytes with a binary unit.
func humanBytes(n uint64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := uint64(unit), 0
	for m := n / unit; m >= unit && exp < 4; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTP"[exp])
}

// humanRate renders a rate in bytes per second.
func humanRate(r float64) string {
	if r <= 0 {
		return "-"
	}
	return humanBytes(uint64(r)) + "/s"
}

// humanDuration renders an ETA compactly.
func humanDuration(d time.Duration) string {
	if d <= 0 {
		return "-"
	}
	d = d.Round(time.Second)
	h, m, s := int(d.Hours()), int(d.Minutes())%60, int(d.Seconds())%60
	switch {
	case h > 0:
		return fmt.Sprintf("%dh%02dm", h, m)
	case m > 0:
		return fmt.Sprintf("%dm%02ds", m, s)
	}
	return fmt.Sprintf("%ds", s)
}

// shortAddr shortens an address to width w (ellipsis in the middle); w <= 0 or enough room
// returns it whole.
func shortAddr(a keys.Address, w int) string {
	s := a.String()
	return shortMiddle(s, w)
}

func shortMiddle(s string, w int) string {
	if w <= 0 || len(s) <= w || w < 5 {
		return s
	}
	head := (w - 1) / 2
	tail := w - 1 - head
	return s[:head] + "…" + s[len(s)-tail:]
}

// pad fits s to exactly w cells: cut with an ellipsis or padded with spaces.
func pad(s string, w int) string {
	if w <= 0 {
		return ""
	}
	sw := ansi.StringWidth(s)
	if sw > w {
		return ansi.Truncate(s, w, "…")
	}
	return s + strings.Repeat(" ", w-sw)
}

// padLeft right-aligns s in w cells.
func padLeft(s string, w int) string {
	sw := ansi.StringWidth(s)
	if sw >= w {
		return ansi.Truncate(s, w, "…")
	}
	return strings.Repeat(" ", w-sw) + s
}

// fit makes s exactly h lines of at most w cells: long lines are cut, missing lines added.
func fit(s string, w, h int) string {
	if h <= 0 {
		return ""
	}
	lines := strings.Split(s, "\n")
	if len(lines) > h {
		lines = lines[:h]
	}
	for i, l := range lines {
		if ansi.StringWidth(l) > w {
			lines[i] = ansi.Truncate(l, w, "")
		}
	}
	for len(lines) < h {
		lines = append(lines, "")
	}
	return strings.Join(lines, "\n")
}

// column is one column of a table: a header, a width, and whether it is right-aligned.
type column struct {
	title string
	width int
	right bool
	min   int // the table width below which the column is dropped (0: never dropped)
}

// visibleColumns drops the columns whose min exceeds the width and gives the first flexible
// column (width 0) what remains.
func visibleColumns(cols []column, width int) []column {
	out := make([]column, 0, len(cols))
	for _, c := range cols {
		if c.min > 0 && width < c.min {
			continue
		}
		out = append(out, c)
	}
	used := 0
	for _, c := range out {
		used += c.width + 1
	}
	for i := range out {
		if out[i].width == 0 {
			out[i].width = max(4, width-used)
			break
		}
	}
	return out
}

// row renders cells under cols; cells are matched to columns by title.
func row(cols []column, cells map[string]string) string {
	var b strings.Builder
	for i, c := range cols {
		if i > 0 {
			b.WriteByte(' ')
		}
		if c.right {
			b.WriteString(padLeft(cells[c.title], c.width))
		} else {
			b.WriteString(pad(cells[c.title], c.width))
		}
	}
	return b.String()
}

// header renders the column titles.
func header(st *Styles, cols []column) string {
	cells := make(map[string]string, len(cols))
	for _, c := range cols {
		cells[c.title] = c.title
	}
	return st.Header.Render(row(cols, cells))
}

// window returns the first index of a scroll window of h rows keeping cursor visible, given the
// previous first index.
func window(cursor, top, h, n int) int {
	if h <= 0 {
		return 0
	}
	if cursor < top {
		top = cursor
	}
	if cursor >= top+h {
		top = cursor - h + 1
	}
	if top > n-h {
		top = max(0, n-h)
	}
	return max(0, top)
}

// kv renders "label  value" lines with aligned labels.
func kv(st *Styles, pairs ...string) string {
	w := 0
	for i := 0; i < len(pairs); i += 2 {
		w = max(w, lipgloss.Width(pairs[i]))
	}
	var b strings.Builder
	for i := 0; i+1 < len(pairs); i += 2 {
		if i > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(st.Label.Render(pad(pairs[i], w)))
		b.WriteString("  ")
		b.WriteString(pairs[i+1])
	}
	return b.String()
}

// cursorRow marks the row under the cursor with "›" and the selection style.
func cursorRow(st *Styles, line string, selected bool) string {
	if selected {
		return "› " + st.Selected.Render(ansi.Strip(line))
	}
	return "  " + line
}
