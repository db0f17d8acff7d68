// Package faults holds the checker of the fault-schedule tests
// (e2e/cluster/faults_test.go): a recorder of the calls a workload makes
// against the job registry, with their start and end times, and a check of
// the recorded history for linearizability (github.com/anishathalye/porcupine)
// against a sequential model of the registry, one job ID at a time.
package faults

import (
	"fmt"

	"github.com/anishathalye/porcupine"
)

// Kind is what a call did.
type Kind int

const (
	// Register submits the job with a fresh version marker V.
	Register Kind = iota
	// Stop deregisters the job without purging it: it stays, stopped.
	Stop
	// Read fetches the job from the leader (no ?stale): it must see every
	// write acknowledged before it started.
	Read
	// StaleRead fetches the job with ?stale from one server's own state;
	// it is not part of the linearizable model (see CheckStale).
	StaleRead
)

func (k Kind) String() string {
	switch k {
	case Register:
		return "register"
	case Stop:
		return "stop"
	case Read:
		return "read"
	case StaleRead:
		return "stale-read"
	}
	return fmt.Sprintf("kind(%d)", int(k))
}

// Input is a call's request.
type Input struct {
	Kind Kind
	Key  string // the job ID
	V    int    // Register: the version marker written (job meta "v")
}

// Output is a call's answer. Unknown means the call failed or timed out:
// it may or may not have taken effect, so the history gives it no end.
type Output struct {
	Unknown  bool
	NotFound bool // the job does not exist (a read's 404, a stop's 404)
	State         // Read/StaleRead: what was seen
}

// State is one job as the model holds it.
type State struct {
	Exists  bool
	Stopped bool
	V       int
}

func (s State) String() string {
	if !s.Exists {
		return "absent"
	}
	if s.Stopped {
		return fmt.Sprintf("v%d(stopped)", s.V)
	}
	return fmt.Sprintf("v%d", s.V)
}

// step is the sequential specification of one job.
func step(st State, in Input, out Output) (bool, State) {
	switch in.Kind {
	case Register:
		// Acknowledged or unknown alike: an unknown write has no end in
		// the history, so the checker may order it after everything,
		// which is the same as "never happened".
		return true, State{Exists: true, V: in.V}
	case Stop:
		switch {
		case out.Unknown:
			if st.Exists {
				st.Stopped = true
			}
			return true, st
		case out.NotFound:
			return !st.Exists, st
		}
		if !st.Exists {
			return false, st
		}
		st.Stopped = true
		return true, st
	case Read:
		if out.Unknown {
			return true, st
		}
		if out.NotFound {
			return !st.Exists, st
		}
		return out.State == st, st
	}
	return false, st
}

// Model is the job registry partitioned by job ID.
func Model() porcupine.Model {
	return porcupine.Model{
		Partition: partitionByKey,
		Init:      func() interface{} { return State{} },
		Step: func(state, input, output interface{}) (bool, interface{}) {
			return step(state.(State), input.(Input), output.(Output))
		},
		DescribeOperation: describe,
		DescribeState:     func(s interface{}) string { return s.(State).String() },
	}
}

func partitionByKey(history []porcupine.Operation) [][]porcupine.Operation {
	byKey := map[string][]porcupine.Operation{}
	var keys []string
	for _, op := range history {
		k := op.Input.(Input).Key
		if _, ok := byKey[k]; !ok {
			keys = append(keys, k)
		}
		byKey[k] = append(byKey[k], op)
	}
	out := make([][]porcupine.Operation, 0, len(keys))
	for _, k := range keys {
		out = append(out, byKey[k])
	}
	return out
}

func describe(input, output interface{}) string {
	in, out := input.(Input), output.(Output)
	res := "ok"
	switch {
	case out.Unknown:
		res = "?"
	case out.NotFound:
		res = "not found"
	case in.Kind == Read || in.Kind == StaleRead:
		res = out.State.String()
	}
	if in.Kind == Register {
		return fmt.Sprintf("register(%s, v%d) -> %s", in.Key, in.V, res)
	}
	return fmt.Sprintf("%s(%s) -> %s", in.Kind, in.Key, res)
}
