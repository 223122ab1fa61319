package roles

import (
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"dsp/wire"
)

// TestProtocolDocListsOpcodes: every application opcode registered by the services a node
// mounts (this package imports them all) is named in docs/protocol.md on a line that also gives
// its number (a table row: the request's row names its reply), so the doc's opcode list stays
// complete as messages are added.
func TestProtocolDocListsOpcodes(t *testing.T) {
	b, err := os.ReadFile("../../docs/protocol.md")
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(string(b), "\n")
	prefixes := regexp.MustCompile("^(Fs|Scan|DNS|Ledger|Channel|Proxy|Handshake)")
	for op := wire.OpApplicationStart; op < wire.OpChannelStart+100; op++ {
		name, registered := wire.Lookup(op)
		if !registered {
			continue
		}
		num := regexp.MustCompile(`\b` + strconv.Itoa(int(op)) + `\b`)
		short := prefixes.ReplaceAllString(name, "")
		found := false
		for _, l := range lines {
			if num.MatchString(l) && (strings.Contains(l, name) || strings.Contains(l, short)) {
				found = true
				break
			}
		}
		if !found {
			t.Errorf("opcode %d (%s) is registered but no line of docs/protocol.md names it with its number", op, name)
		}
	}
}
