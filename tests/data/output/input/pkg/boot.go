package pkg

// Runs once, when the package is loaded.
func init() {
	leak()
}
