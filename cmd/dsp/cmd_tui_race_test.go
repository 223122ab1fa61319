//go:build race

package main

// raceBuild: the binary the end-to-end tests run is built with -race too, so it reuses the
// packages this test binary's build already put in the build cache (a cold cache builds once).
const raceBuild = true
