package store

import "runtime"

func runtime_Gosched() { runtime.Gosched() }
