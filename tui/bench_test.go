package tui

import (
	"context"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"

	"dsp/node/client"
	"dsp/tui/faketest"
)

// transfersModel returns an app on the Transfers screen holding n tasks, and the tasks.
func transfersModel(tb testing.TB, n int) (*Model, []client.Task) {
	c := faketest.NewEmpty()
	c.AddTasks(n)
	tasks, _ := c.Tasks(context.Background())
	m := New(c, Options{Background: BackgroundDark, StartScreen: ScreenTransfers, Now: func() time.Time { return faketest.Epoch }})
	tb.Cleanup(m.Close)
	m.Update(tea.WindowSizeMsg{Width: 120, Height: 40})
	m.ready, m.loaded[ScreenTransfers] = true, true
	for _, t := range tasks {
		m.Update(taskMsg{task: t})
	}
	return m, tasks
}

// step delivers one progress event for a task and renders, as the program does per event.
func step(m *Model, tasks []client.Task, i int) {
	t := tasks[i%len(tasks)]
	t.Held = uint64(i % 17)
	t.Bytes = t.Held << 18
	t.Updated = t.Updated.Add(time.Duration(i) * time.Millisecond)
	m.Update(taskMsg{task: t})
	_ = m.View()
}

// BenchmarkTransfers1000 measures Update+View per task event with 1,000 tasks on the Transfers
// screen, and reports it against the same work with 10 tasks measured in the same run
// (x-baseline: the ratio; the 10-task screen renders 10 rows, the 1,000-task one fills its
// ~34 visible rows, so the ratio is the cost of the extra visible rows, not of the task count).
func BenchmarkTransfers1000(b *testing.B) {
	small, smallTasks := transfersModel(b, 10)
	big, bigTasks := transfersModel(b, 1000)
	const warm = 200
	for i := 0; i < warm; i++ {
		step(small, smallTasks, i)
		step(big, bigTasks, i)
	}
	start := time.Now()
	for i := 0; i < max(b.N, 100); i++ {
		step(small, smallTasks, i)
	}
	base := time.Since(start) / time.Duration(max(b.N, 100))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		step(big, bigTasks, i)
	}
	b.StopTimer()
	per := b.Elapsed() / time.Duration(b.N)
	b.ReportMetric(float64(per)/float64(base), "x-baseline")
	b.ReportMetric(float64(base.Nanoseconds()), "ns/op-10tasks")
}

// BenchmarkTransfersScroll1000 measures a cursor move plus render with 1,000 tasks.
func BenchmarkTransfersScroll1000(b *testing.B) {
	m, _ := transfersModel(b, 1000)
	down := tea.KeyPressMsg{Code: tea.KeyDown}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		m.Update(down)
		_ = m.View()
	}
}
