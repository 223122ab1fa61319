package keys

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// writeHook, when set by a test, replaces the write of the data into the temporary file, so a
// test can make it fail or stop the process halfway.
var writeHook func(f *os.File, data []byte) error

// writeFileAtomic replaces path with data so that, whatever happens, path holds either its old
// contents or all of data: data goes to a temporary file in the same directory with mode perm,
// which is synced, renamed over path, and the directory synced. With noClobber it fails with
// os.ErrExist instead of replacing an existing file. On error the temporary file is removed and
// path is untouched.
func writeFileAtomic(path string, data []byte, perm os.FileMode, noClobber bool) (err error) {
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	name := tmp.Name()
	defer func() {
		if err != nil {
			_ = tmp.Close()
			_ = os.Remove(name)
		}
	}()
	if err = tmp.Chmod(perm); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if writeHook != nil {
		err = writeHook(tmp, data)
	} else {
		_, err = tmp.Write(data)
	}
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err = tmp.Sync(); err != nil {
		return fmt.Errorf("write %s: sync: %w", path, err)
	}
	if err = tmp.Close(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if noClobber {
		err = publishNoClobber(name, path)
	} else {
		err = os.Rename(name, path)
	}
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err = syncDir(dir); err != nil {
		return fmt.Errorf("write %s: sync directory: %w", path, err)
	}
	return nil
}

// publishNoClobber moves tmp to path unless path exists. A hard link is atomic and never replaces;
// where links are unsupported it falls back to a check and a rename.
func publishNoClobber(tmp, path string) error {
	err := os.Link(tmp, path)
	if err == nil {
		_ = os.Remove(tmp) // path holds the data; a stray temporary name is harmless
		return nil
	}
	if errors.Is(err, os.ErrExist) {
		return err
	}
	if _, serr := os.Lstat(path); serr == nil {
		return os.ErrExist
	}
	return os.Rename(tmp, path)
}

// syncDir makes a rename in dir durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	if err := d.Sync(); err != nil && !errors.Is(err, os.ErrInvalid) {
		return err
	}
	return nil
}
