package pdp

import (
	"bytes"
	"errors"
	"fmt"
	"runtime"
	"sync"

	"github.com/consensys/gnark-crypto/ecc/bls12-381/fr"
)

// Tagger tags a stream of blocks of one file on several cores, in order: the k-th block given to
// Add is block k of the file. Uploads feed it while they chunk. Its goroutines run from NewTagger
// until Finish or Close, which the owner must call (Close is safe after Finish and more than once).
// Add and Finish must be called from one goroutine at a time.
type Tagger struct {
	sk   *SecretKey
	name []byte // nil until Finish when NewTagger had none

	jobs    chan *tagJob
	wg      sync.WaitGroup
	results []*tagJob
	done    bool
	bufs    sync.Pool
}

type tagJob struct {
	i    uint64
	data *[]byte
	e    fr.Element // x*f_i(alpha)
	tag  Tag        // set when the name is known
	err  error
}

// NewTagger starts a Tagger with workers goroutines (GOMAXPROCS if workers <= 0) for the file
// named name, its file hash. If the file hash is not known until all blocks are chunked, pass nil
// and give it to Finish: the polynomial part of every tag is still computed as blocks arrive, the
// hash-to-curve and scalar multiplications then run in Finish on all cores.
func (sk *SecretKey) NewTagger(name []byte, workers int) *Tagger {
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	t := &Tagger{sk: sk, jobs: make(chan *tagJob, 2*workers)}
	if name != nil {
		t.name = bytes.Clone(name)
	}
	t.bufs.New = func() any { b := make([]byte, 0, BlockSize); return &b }
	sk.prepare()
	for range workers {
		t.wg.Go(t.work)
	}
	return t
}

func (t *Tagger) work() {
	for j := range t.jobs {
		j.e = t.sk.eval(*j.data)
		t.bufs.Put(j.data)
		j.data = nil
		if t.name != nil {
			h, err := hashIndex(t.name, j.i)
			if err != nil {
				j.err = err
				continue
			}
			j.tag = t.sk.sigma(&h, &j.e)
		}
	}
}

// Add queues the next block (at most BlockSize bytes). It copies block, so the caller may reuse
// it at once; it blocks while all workers are busy and the queue is full.
func (t *Tagger) Add(block []byte) error {
	if t.done {
		return ErrTaggerClosed
	}
	i := uint64(len(t.results))
	if len(block) > BlockSize {
		return fmt.Errorf("pdp: tag block %d of %d bytes: %w", i, len(block), ErrBlockTooLarge)
	}
	buf := t.bufs.Get().(*[]byte)
	*buf = append((*buf)[:0], block...)
	j := &tagJob{i: i, data: buf}
	t.results = append(t.results, j)
	t.jobs <- j
	return nil
}

// Finish waits for every queued block and returns the tags in order, then stops the Tagger.
// name is the file hash; it may be nil if NewTagger had it, and must then equal it if given.
func (t *Tagger) Finish(name []byte) ([]Tag, error) {
	if t.done {
		return nil, ErrTaggerClosed
	}
	switch {
	case t.name == nil && name == nil:
		t.Close()
		return nil, errors.New("pdp: tagger finished without a file name")
	case t.name != nil && name != nil && !bytes.Equal(t.name, name):
		t.Close()
		return nil, fmt.Errorf("pdp: tagger finished with name %x, started with %x", name, t.name)
	}
	late := t.name == nil
	t.Close()
	if late {
		parallelFor(len(t.results), func(k int) {
			j := t.results[k]
			h, err := hashIndex(name, j.i)
			if err != nil {
				j.err = err
				return
			}
			j.tag = t.sk.sigma(&h, &j.e)
		})
	}
	tags := make([]Tag, len(t.results))
	for k, j := range t.results {
		if j.err != nil {
			return nil, j.err
		}
		tags[k] = j.tag
	}
	t.results = nil
	return tags, nil
}

// Close stops the Tagger without returning tags: it waits for the workers to finish the blocks
// already queued and for them to exit. It may be called more than once, and after Finish.
func (t *Tagger) Close() {
	if t.done {
		return
	}
	t.done = true
	close(t.jobs)
	t.wg.Wait()
}
