//go:build !race

package main

// raceBuild: see cmd_tui_race_test.go.
const raceBuild = false
