package tui

import (
	"context"
	"path/filepath"
	"strings"

	"charm.land/bubbles/v2/help"
	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"dsp/node/client"
)

// downloadKeyMap is the Download screen's keys when its form is not being edited.
type downloadKeyMap struct {
	Edit key.Binding
}

// ShortHelp implements help.KeyMap.
func (k downloadKeyMap) ShortHelp() []key.Binding { return []key.Binding{k.Edit} }

// FullHelp implements help.KeyMap.
func (k downloadKeyMap) FullHelp() [][]key.Binding { return [][]key.Binding{k.ShortHelp()} }

// download is the Download screen: a file by hash or dsp:// URL to an output path, with the
// password of an encrypted file; then the task's progress to "Download complete".
type download struct {
	env     *env
	keys    downloadKeyMap
	form    *form
	editing bool
	task    *client.Task
	callID  uint64
	err     string
}

func newDownload(e *env) *download {
	d := &download{env: e, keys: downloadKeyMap{Edit: bind("enter/e", "fill in and download", "enter", "e")}}
	d.reset("")
	return d
}

func (d *download) reset(target string) {
	d.form = newForm(d.env.st, "Download a file",
		fieldSpec{label: "Hash or URL", value: target, placeholder: "file hash or dsp://..."},
		fieldSpec{label: "Output path", placeholder: "empty: the file's name in " + d.outDir()},
		fieldSpec{label: "Password", password: true, placeholder: "for an encrypted file"})
}

func (d *download) outDir() string {
	if d.env.opts.DownloadDir != "" {
		return d.env.opts.DownloadDir
	}
	return "the working directory"
}

func (d *download) Init() tea.Cmd { return nil }

func (d *download) Capturing() bool { return d.editing }

func (d *download) KeyMap() help.KeyMap {
	if d.editing {
		return d.form.keys
	}
	return d.keys
}

// Receive takes a hash or URL from another screen and opens the form with it.
func (d *download) Receive(arg any) tea.Cmd {
	if s, ok := arg.(string); ok {
		d.reset(s)
		d.editing, d.task, d.err = true, nil, ""
		return d.form.setFocus(1)
	}
	return nil
}

func (d *download) Update(msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case resultMsg[*client.Task]:
		if msg.id != d.callID {
			return nil
		}
		d.callID = 0
		if msg.err != nil {
			d.err, d.editing = errText(msg.err), true
			return nil
		}
		d.task = msg.val
		return notice("Download started: task "+msg.val.ID, false)
	case taskMsg:
		if d.task != nil && msg.task.ID == d.task.ID {
			t := msg.task
			d.task = &t
		}
	case tea.KeyPressMsg:
		if !d.editing {
			if key.Matches(msg, d.keys.Edit) {
				if d.task != nil {
					d.reset("")
					d.task = nil
				}
				d.editing, d.err = true, ""
			}
			return nil
		}
		if d.callID != 0 {
			return nil
		}
		res, cmd := d.form.Update(msg)
		switch res {
		case formCancel:
			d.editing = false
		case formSubmit:
			return d.start()
		}
		return cmd
	default:
		if d.editing {
			_, cmd := d.form.Update(msg)
			return cmd
		}
	}
	return nil
}

func (d *download) start() tea.Cmd {
	target := d.form.value(0)
	if target == "" {
		d.err = "give a file hash or a dsp:// URL"
		return nil
	}
	req := client.DownloadRequest{Output: d.form.value(1), Password: d.form.value(2)}
	if strings.Contains(target, "://") {
		req.URL = target
	} else {
		req.Hash = target
	}
	if req.Output != "" && d.env.opts.DownloadDir != "" && !filepath.IsAbs(req.Output) {
		req.Output = filepath.Join(d.env.opts.DownloadDir, req.Output)
	}
	d.err, d.editing = "", false
	d.callID = d.env.nextID()
	return call(d.env, d.callID, func(ctx context.Context, c Client) (*client.Task, error) { return c.Download(ctx, req) })
}

func (d *download) View(w, h int) string {
	st := d.env.st
	var b strings.Builder
	if d.task != nil && !d.editing {
		b.WriteString(taskPanel(st, *d.task, w, "Download"))
		b.WriteString("\n" + st.Muted.Render("enter: another download") + "\n")
		return b.String()
	}
	b.WriteString(d.form.View(w))
	switch {
	case d.callID != 0:
		b.WriteString("\n" + st.Muted.Render("Starting the download…") + "\n")
	case !d.editing:
		b.WriteString("\n" + st.Muted.Render("Press enter to fill in the form; enter on the last field downloads.") + "\n")
	}
	if d.err != "" {
		b.WriteString("\n" + st.Error.Render(d.err) + "\n")
	}
	return b.String()
}
