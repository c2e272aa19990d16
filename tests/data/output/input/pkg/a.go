package pkg

import "fmt"

func Start() {
	leak()
}

func Greet() {
	fmt.Println("日本😀", leak())
}

func Owned() {
	//gofixleak:ignore fake-leak owned by the process, stops at exit
	leak()
}
