package pkg

func Later() {
	leak() //gofixleak:ignore fake-leak
}

//gofixleak:ignore fake-leak nothing here any more
func Gone() {}
