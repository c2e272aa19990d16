// Package syntax holds every syntax addition of Go 1.22 to 1.26, as the release notes list them
// (go.dev/doc/go1.22 ... go1.26); Go 1.25 changed no syntax. tests/test_golang.py parses it and
// builds it with go vet.
package syntax

import (
	"encoding/json"
	"iter"
	"time"
)

// Go 1.22: "for" loops may range over integers.
func Countdown(n int) []int {
	var out []int
	for i := range n {
		out = append(out, n-i)
	}
	for range 3 {
		out = append(out, 0)
	}
	const limit uint8 = 2
	for i := range limit {
		out = append(out, int(i))
	}
	return out
}

// Go 1.23: range over functions (iterators) of zero, one or two values.
func Pairs(m map[string]int) iter.Seq2[string, int] {
	return func(yield func(string, int) bool) {
		for k, v := range m {
			if !yield(k, v) {
				return
			}
		}
	}
}

func Keys(seq iter.Seq2[string, int], times func(func() bool)) (keys []string) {
	for k := range seq {
		keys = append(keys, k)
	}
	for k, v := range seq {
		_, _ = k, v
	}
	for range times {
		keys = append(keys, "")
	}
	next, stop := iter.Pull2(seq)
	defer stop()
	_, _, _ = next()
	return keys
}

// Go 1.24: generic type aliases.
type Set[T comparable] = map[T]struct{}

type List[T any] = []T

type Pair[K comparable, V any] = struct {
	Key   K
	Value V
}

func Members(s Set[string], l List[int], p Pair[string, int]) int {
	return len(s) + len(l) + p.Value
}

// Go 1.26: a generic type may refer to itself in its own type parameter list.
type Adder[A Adder[A]] interface {
	Add(A) A
}

func Sum[A Adder[A]](x, y A) A { return x.Add(y) }

// Go 1.26: the operand of new may be an expression, the initial value of the variable.
type Person struct {
	Name string `json:"name"`
	Age  *int   `json:"age"`
}

type checksum struct{ sum uint32 }

func (c checksum) Sum32() uint32 { return c.sum }

type entry struct{ crc checksum }

var limit = new(uint64(10))

var defaults = struct{ retries *int }{retries: new(3)}

func yearsSince(t time.Time) int { return int(time.Since(t).Hours() / (365.25 * 24)) }

func PersonJSON(name string, born time.Time) ([]byte, error) {
	return json.Marshal(Person{
		Name: name,
		Age:  new(yearsSince(born)),
	})
}

func Expressions(e entry, ch chan int, v any, xs []int, m map[string]int) []any {
	sum := new(e.crc.Sum32())
	s := new("hello")
	n := new(-42)
	doubled := new(*limit * 2)
	received := new(<-ch)
	asserted := new(v.(int))
	indexed := new(xs[0])
	looked := new(m["a"])
	sliced := new(xs[1:])
	literal := new([]int{11, 12, 13})
	mapped := new(map[string]int{"a": 1})
	point := new(struct{ X, Y int }{1, 2})
	called := new(func() int { return 1 }())
	nested := new(new(1))
	converted := new(float64(*n))
	go func(p *int) { ch <- *p }(new(len(xs)))
	return []any{sum, s, doubled, received, asserted, indexed, looked, sliced, literal, mapped,
		point, called, nested, converted, defaults}
}

// new(T) with a type is unchanged, and so is make.
func Types(n int) []any {
	return []any{new(int), new([]int), new(map[string]int), new(*Person), new(chan int),
		new(<-chan int), new(struct{}), new(func()), new([2]int), new(interface{}), new(Person),
		new(json.Decoder), new(List[int]), new(Set[string]), make([]int, n), make(chan int),
		make(map[string]int, n), make(List[int], 0, n)}
}
