package pkg

func Spread() {
	leak(
		1,
	)
}
