// symtest is the fixture of the symbols unit tests (tests/unit/symbols_*_test.cpp).
//
// It contains an allocation inside a function the compiler inlines (newIndex, no //go:noinline),
// so a test can check that the make site resolves to newIndex at its line and then to the caller
// at the call line. The rest (generics, methods, closures, sorting, formatting) only exists to give
// the binary many distinct functions, files and inlined PCs. Lines a test looks up carry a
// `// symtest:` marker; keep each marker on the statement it names.
package main

import (
	"fmt"
	"os"
	"sort"
	"strconv"
	"strings"
)

// Item is a value type whose descriptors ([]main.Item, *main.Item) the type-name tests look up.
type Item struct {
	Name  string
	Count int
}

var (
	sinkIndexes []map[string]int
	sinkItems   []Item
	sinkPtrs    []*Item
)

// newIndex is small enough to be inlined into its callers.
func newIndex(n int) map[string]int {
	return make(map[string]int, n) // symtest: inlined make
}

//go:noinline
func fillIndex(words []string) map[string]int {
	m := newIndex(len(words)) // symtest: call site
	for i, w := range words {
		m[w] = i
	}
	sinkIndexes = append(sinkIndexes, m)
	return m
}

// Stack is a generic container (instantiations are named main.(*Stack[...]).Push in pclntab).
type Stack[T any] struct{ items []T }

func (s *Stack[T]) Push(v T) { s.items = append(s.items, v) }

func (s *Stack[T]) Pop() (T, bool) {
	var zero T
	if len(s.items) == 0 {
		return zero, false
	}
	v := s.items[len(s.items)-1]
	s.items = s.items[:len(s.items)-1]
	return v, true
}

func Map[T, U any](in []T, f func(T) U) []U {
	out := make([]U, 0, len(in))
	for _, v := range in {
		out = append(out, f(v))
	}
	return out
}

type byCount []Item

func (b byCount) Len() int { return len(b) }
func (b byCount) Less(i, j int) bool {
	return b[i].Count > b[j].Count || (b[i].Count == b[j].Count && b[i].Name < b[j].Name)
}
func (b byCount) Swap(i, j int) { b[i], b[j] = b[j], b[i] }

func countWords(text string) []Item {
	idx := fillIndex(strings.Fields(text))
	counts := map[string]int{}
	for _, w := range strings.Fields(text) {
		counts[strings.ToLower(strings.Trim(w, ".,;:!?"))]++
	}
	items := make([]Item, 0, len(counts))
	for w, c := range counts {
		items = append(items, Item{Name: w, Count: c + idx[w]*0})
	}
	sort.Sort(byCount(items))
	sinkItems = items
	return items
}

func render(items []Item) string {
	var b strings.Builder
	for i, it := range items {
		if i >= 5 {
			break
		}
		fmt.Fprintf(&b, "%s=%d ", it.Name, it.Count)
	}
	return strings.TrimSpace(b.String())
}

func main() {
	text := "the quick brown fox jumps over the lazy dog. The dog sleeps; the fox runs!"
	if len(os.Args) > 1 {
		text = strings.Join(os.Args[1:], " ")
	}
	items := countWords(text)

	var st Stack[*Item]
	for i := range items {
		st.Push(&items[i])
	}
	for {
		p, ok := st.Pop()
		if !ok {
			break
		}
		sinkPtrs = append(sinkPtrs, p)
	}
	var nums Stack[int]
	for i := 0; i < 10; i++ {
		nums.Push(i * i)
	}
	labels := Map(items, func(it Item) string { return it.Name + ":" + strconv.Itoa(it.Count) })
	fmt.Println(render(items), len(labels), len(sinkPtrs), len(nums.items))
}
