package task

import "sync"

// Subscription receives task snapshots as they change. Publishing never blocks: while the
// subscriber is behind, the snapshots of one task are coalesced into the newest, so a slow reader
// sees every task's latest state but may skip intermediate ones. Close it when done.
type Subscription struct {
	m *Manager
	c chan Info

	mu      sync.Mutex
	pending map[ID]Info
	order   []ID
	wake    chan struct{}
	quit    chan struct{}
	once    sync.Once
	done    chan struct{}
}

// Subscribe returns a subscription to every task's changes.
func (m *Manager) Subscribe() *Subscription {
	s := &Subscription{m: m, c: make(chan Info), pending: map[ID]Info{}, wake: make(chan struct{}, 1),
		quit: make(chan struct{}), done: make(chan struct{})}
	m.mu.Lock()
	if m.closed {
		m.mu.Unlock()
		close(s.quit)
		close(s.done)
		close(s.c)
		return s
	}
	m.subs[s] = struct{}{}
	m.mu.Unlock()
	go s.pump()
	return s
}

// C delivers the snapshots; it is closed after Close.
func (s *Subscription) C() <-chan Info { return s.c }

// Close ends the subscription and waits for its goroutine. It may be called more than once.
func (s *Subscription) Close() {
	s.once.Do(func() {
		s.m.mu.Lock()
		delete(s.m.subs, s)
		s.m.mu.Unlock()
		close(s.quit)
	})
	<-s.done
}

func (s *Subscription) offer(in Info) {
	s.mu.Lock()
	if _, ok := s.pending[in.ID]; !ok {
		s.order = append(s.order, in.ID)
	}
	s.pending[in.ID] = in
	s.mu.Unlock()
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

func (s *Subscription) pump() {
	defer close(s.done)
	defer close(s.c)
	for {
		select {
		case <-s.quit:
			return
		case <-s.wake:
		}
		for {
			s.mu.Lock()
			if len(s.order) == 0 {
				s.mu.Unlock()
				break
			}
			id := s.order[0]
			s.order = s.order[1:]
			in := s.pending[id]
			delete(s.pending, id)
			s.mu.Unlock()
			select {
			case s.c <- in:
			case <-s.quit:
				return
			}
		}
	}
}

func (m *Manager) publish(in Info) {
	m.mu.Lock()
	subs := make([]*Subscription, 0, len(m.subs))
	for s := range m.subs {
		subs = append(subs, s)
	}
	m.mu.Unlock()
	for _, s := range subs {
		s.offer(in)
	}
}
