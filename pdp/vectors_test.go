package pdp

import (
	"encoding/hex"
	"fmt"
	"testing"
)

// vectorFile is the fixed input of the test vectors: 4 blocks of 100, 100, 100 and 45 bytes,
// byte k of block i being (7*i + 13*k) mod 256.
func vectorFile() [][]byte {
	blocks := make([][]byte, 4)
	for i := range blocks {
		n := 100
		if i == 3 {
			n = 45
		}
		blocks[i] = make([]byte, n)
		for k := range blocks[i] {
			blocks[i][k] = byte(7*i + 13*k)
		}
	}
	return blocks
}

// vectorValues computes every value the vectors pin, as hex strings in a fixed order.
func vectorValues(t *testing.T) map[string]string {
	t.Helper()
	sk := testKey(t)
	name := []byte("vector file hash")
	blocks := vectorFile()
	tags := make([]Tag, len(blocks))
	for i, b := range blocks {
		var err error
		if tags[i], err = sk.TagBlock(name, uint64(i), b); err != nil {
			t.Fatal(err)
		}
	}
	pk, err := sk.ProverKey(4)
	if err != nil {
		t.Fatal(err)
	}
	ch, err := NewChallenge([]byte("ledger block hash"), name, []byte("fs address"), 4, 2)
	if err != nil {
		t.Fatal(err)
	}
	p, err := Prove(pk, ch, func(i uint64) ([]byte, error) { return blocks[i], nil },
		func(i uint64) ([]byte, error) { return tags[i][:], nil })
	if err != nil {
		t.Fatal(err)
	}
	if err := Verify(sk.PublicKey(), ch, p); err != nil {
		t.Fatalf("vector proof: %v", err)
	}
	nu0, z := ch.Coeffs[0].Bytes(), ch.Z.Bytes()
	p1 := pk.P[1].Bytes()
	return map[string]string{
		"secret":  hex.EncodeToString(sk.Bytes()),
		"public":  hex.EncodeToString(sk.PublicKey().Bytes()),
		"P1":      hex.EncodeToString(p1[:]),
		"tag0":    hex.EncodeToString(tags[0][:]),
		"tag3":    hex.EncodeToString(tags[3][:]),
		"indices": fmt.Sprint(ch.Indices),
		"nu0":     hex.EncodeToString(nu0[:]),
		"z":       hex.EncodeToString(z[:]),
		"proof":   hex.EncodeToString(p.Bytes()),
	}
}

// wantVectors pins the scheme: any change to key derivation, sector parsing, hashing to G1,
// tagging, challenge derivation, proving or encodings changes one of them.
var wantVectors = map[string]string{
	"secret":  "5dcc868bf16ad87b062277eb3be80693f483a4e7a7f1d450d2fa3187d9c1550f23637e27f3572a30826c8b959a68770005d55092dc34d112d7cbca9839364f4f",
	"public":  "8d4fdf616392db1647e9c50616408e98784bae40328fbf72d95f1bcd6c16bd9ca6207bea22187f17918a0af3f4970616110eb5510666175da332cad720b858a8c07df755dcaa343e3585d7bcf4d430351d8325091510d0d40c5f977ff79ecd8892b4954b90616f7a2e613e8774a05d7dda7aa5cbb461b8b96c5fe6db69d335f5e2366c116ee592c52bfeea6a9823b81817cf1b57857de985e5762e3a1e353905fdc87f6a3c3dd8ea8b1bf2195076421a548ae7ce09de469f41b67c05ffe483ad",
	"P1":      "ac1b6561d5b17ec260ebbf1149bd3742d70c7f74fd57d9866231b0a1fb9df070bd29ec71a46232ba1aadfd3ed6471003",
	"tag0":    "9037663ced76bfccb7d2b0d8ef5c9f55f66615efffc45c151bc3ae86b797b602f0bd5258f0d63127c1dea3e29f260291",
	"tag3":    "aa36390e899ea0460c384f24cfc07461e72908393274f75d9529e097e76b725eee9dcb4669db745ca3671457a8904a95",
	"indices": "[1 3]",
	"nu0":     "33a797ce90b5a03178c9c3466cce0c14280e0a89e643294cbcb1c659869e30ac",
	"z":       "6a06b54b1eca5ef7db55003872bebbd5d4604c36778beb904ae713935a8278b5",
	"proof":   "8cf6cea34121b42a8dc59a6e7a80c13c6bf0ceaccd8604df30e33db5aacbfc0ce1e02018c6eb5b6a2f4a020bc70c745749a6c7562954e52b686de4826dc673f18adf0a3ab53c40af62402f31af2cc20da7da3cb5f424625e445f9afe66ad1495d3cf6d4676f5f4fafcbc6998330951711c3696ef0bd28b334fa95153f9f18d4c",
}

func TestVectors(t *testing.T) {
	got := vectorValues(t)
	for _, k := range []string{"secret", "public", "P1", "tag0", "tag3", "indices", "nu0", "z", "proof"} {
		if got[k] != wantVectors[k] {
			t.Errorf("%s:\n got  %s\n want %s", k, got[k], wantVectors[k])
		}
	}
}
