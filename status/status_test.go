package status

import (
	"errors"
	"fmt"
	"testing"
)

func TestCodesAndNames(t *testing.T) {
	cases := []struct {
		code Code
		num  int
		name string
	}{
		{TaskDownloadRefused, 50022, "DOWNLOAD_REFUSED"},
		{TaskDecryptWrongPassword, 50046, "DECRYPT_WRONG_PASSWORD"},
		{TaskFsPutBlockFailed, 50038, "FS_PUT_BLOCK_FAILED"},
		{TaskSearchReceiversFailed, 50013, "SEARCH_RECEIVERS_FAILED"},
		{WalletFileNotExist, 50013, "WALLET_FILE_NOT_EXIST"},
		{InsufficientBalance, 40006, "INSUFFICIENT_BALANCE"},
		{AccountPasswordWrong, 50015, "ACCOUNT_PASSWORD_WRONG"},
	}
	for _, c := range cases {
		if c.code.Num() != c.num || c.code.Name() != c.name {
			t.Errorf("code %d %q, want %d %q", c.code.Num(), c.code.Name(), c.num, c.name)
		}
	}
	if TaskUploadFileMakeSlice != 3 || TaskDownloadFileMakeSeed != 25 || TaskDoing.String() != "TaskDoing" {
		t.Errorf("transmission status codes are off")
	}
}

func TestErrorChain(t *testing.T) {
	base := errors.New("disk full")
	err := fmt.Errorf("add file: %w", Wrap(TaskFsPutBlockFailed, base, "put block %x", []byte{1}))
	if CodeOf(err, 0) != 50038 || NameOf(err) != "FS_PUT_BLOCK_FAILED" {
		t.Fatalf("CodeOf = %d, NameOf = %q", CodeOf(err, 0), NameOf(err))
	}
	if !errors.Is(err, base) || !errors.Is(err, Is(TaskFsPutBlockFailed)) || errors.Is(err, Is(TaskWriteFileDataFailed)) {
		t.Fatalf("errors.Is does not follow the chain: %v", err)
	}
	// Same number, other table: not the same error.
	w := New(WalletFileNotExist, "no wallet at %s", "/x")
	if errors.Is(w, Is(TaskSearchReceiversFailed)) || !errors.Is(w, Is(WalletFileNotExist)) {
		t.Fatal("codes of the two tables must not match each other")
	}
	if Wrap(TaskInternalError, nil, "x") != nil {
		t.Fatal("Wrap(nil) must be nil")
	}
}
