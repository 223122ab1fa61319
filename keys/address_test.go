package keys

import (
	"crypto/sha256"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/mr-tron/base58"
)

// encodeRaw builds address text from raw bytes with a correct checksum unless bad is set.
func encodeRaw(body []byte, badSum bool) string {
	h1 := sha256.Sum256(body)
	h2 := sha256.Sum256(h1[:])
	sum := h2[:4]
	if badSum {
		sum = []byte{h2[0] ^ 1, h2[1], h2[2], h2[3]}
	}
	return base58.Encode(append(append([]byte(nil), body...), sum...))
}

func TestParseAddressFailures(t *testing.T) {
	good := addressVectors[0].address
	hash := make([]byte, 20)
	for i := range hash {
		hash[i] = byte(i)
	}
	cases := []struct {
		name string
		text string
		want error
	}{
		{"empty", "", ErrAddressBase58},
		{"zero char", "0" + good[1:], ErrAddressBase58},
		{"capital O", good[:5] + "O" + good[6:], ErrAddressBase58},
		{"space", good + " ", ErrAddressBase58},
		{"too short", encodeRaw(append([]byte{AddressPrefix}, hash[:19]...), false), ErrAddressLength},
		{"too long", encodeRaw(append(append([]byte{AddressPrefix}, hash...), 0), false), ErrAddressLength},
		{"truncated text", good[:len(good)-1], ErrAddressLength},
		{"huge", strings.Repeat("A", 10000), ErrAddressLength},
		{"prefix 0x00", encodeRaw(append([]byte{0}, hash...), false), ErrAddressPrefix},
		{"prefix 0x18", encodeRaw(append([]byte{0x18}, hash...), false), ErrAddressPrefix},
		{"checksum", encodeRaw(append([]byte{AddressPrefix}, hash...), true), ErrAddressChecksum},
		{"one char changed", good[:10] + string(good[10]^1) + good[11:], ErrAddressChecksum},
	}
	kinds := []error{ErrAddressBase58, ErrAddressLength, ErrAddressPrefix, ErrAddressChecksum}
	for _, c := range cases {
		_, err := ParseAddress(c.text)
		if !errors.Is(err, ErrBadAddress) || !errors.Is(err, c.want) {
			t.Errorf("%s: %v, want %v", c.name, err, c.want)
			continue
		}
		for _, k := range kinds {
			if k != c.want && errors.Is(err, k) {
				t.Errorf("%s: %v also reports %v", c.name, err, k)
			}
		}
	}
	if a, err := ParseAddress(encodeRaw(append([]byte{AddressPrefix}, hash...), false)); err != nil || string(a[:]) != string(hash) {
		t.Errorf("valid constructed address: %x, %v", a, err)
	}
}

func TestAddressJSON(t *testing.T) {
	a, _ := ParseAddress(addressVectors[1].address)
	b, err := json.Marshal(map[string]Address{"a": a})
	if err != nil || string(b) != `{"a":"`+addressVectors[1].address+`"}` {
		t.Fatalf("marshal: %s %v", b, err)
	}
	var back map[string]Address
	if err := json.Unmarshal(b, &back); err != nil || back["a"] != a {
		t.Fatalf("unmarshal: %v", err)
	}
	if err := json.Unmarshal([]byte(`{"a":"AVRapa5MWRkAsn1okyUNp99xJYZnHt5yGn"}`), &back); !errors.Is(err, ErrAddressChecksum) {
		t.Fatalf("unmarshal bad: %v", err)
	}
	if (Address{}).IsZero() != true || a.IsZero() {
		t.Fatal("IsZero")
	}
}
