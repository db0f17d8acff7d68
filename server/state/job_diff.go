package state

import (
	"math"
	"reflect"

	"github.com/appmesh/appmesh/structs"
)

// specEqual reports whether two versions of a job have the same
// user-submitted specification, ignoring the fields the servers own.
//
// The comparison is deliberately loose where encodings differ without a
// difference in meaning: a nil and an empty slice or map are equal, and
// numbers inside driver configs compare by value whatever their Go type
// (a config decoded from JSON holds float64, from msgpack int64).
func specEqual(a, b *structs.Job) bool {
	if a == nil || b == nil {
		return a == b
	}
	x, y := specOnly(a), specOnly(b)
	return looseEqual(reflect.ValueOf(&x).Elem(), reflect.ValueOf(&y).Elem())
}

func specOnly(j *structs.Job) structs.Job {
	c := *j
	c.ClearBookkeeping()
	return c
}

func looseEqual(a, b reflect.Value) bool {
	for a.IsValid() && a.Kind() == reflect.Interface {
		a = a.Elem()
	}
	for b.IsValid() && b.Kind() == reflect.Interface {
		b = b.Elem()
	}
	if !a.IsValid() || !b.IsValid() {
		return a.IsValid() == b.IsValid()
	}
	if isNumber(a.Kind()) && isNumber(b.Kind()) {
		return numbersEqual(a, b)
	}
	if a.Kind() != b.Kind() {
		return false
	}
	switch a.Kind() {
	case reflect.Pointer:
		if a.IsNil() || b.IsNil() {
			return a.IsNil() == b.IsNil()
		}
		return looseEqual(a.Elem(), b.Elem())
	case reflect.Slice, reflect.Array:
		if a.Len() != b.Len() {
			return false
		}
		for i := 0; i < a.Len(); i++ {
			if !looseEqual(a.Index(i), b.Index(i)) {
				return false
			}
		}
		return true
	case reflect.Map:
		if a.Len() != b.Len() {
			return false
		}
		for it := a.MapRange(); it.Next(); {
			bv := b.MapIndex(it.Key())
			if !bv.IsValid() || !looseEqual(it.Value(), bv) {
				return false
			}
		}
		return true
	case reflect.Struct:
		if a.Type() != b.Type() {
			return false
		}
		for i := 0; i < a.NumField(); i++ {
			if !looseEqual(a.Field(i), b.Field(i)) {
				return false
			}
		}
		return true
	case reflect.String:
		return a.String() == b.String()
	case reflect.Bool:
		return a.Bool() == b.Bool()
	default:
		// Channels, funcs and the like never appear in a job spec.
		return false
	}
}

func isNumber(k reflect.Kind) bool {
	switch k {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr,
		reflect.Float32, reflect.Float64:
		return true
	}
	return false
}

// numbersEqual compares two numeric values exactly; a float equals an
// integer only when it holds that integral value.
func numbersEqual(a, b reflect.Value) bool {
	af, aIsFloat := asFloat(a)
	bf, bIsFloat := asFloat(b)
	if aIsFloat || bIsFloat {
		return af == bf && !math.IsNaN(af)
	}
	aNeg, aMag := intParts(a)
	bNeg, bMag := intParts(b)
	return aNeg == bNeg && aMag == bMag
}

func asFloat(v reflect.Value) (float64, bool) {
	switch v.Kind() {
	case reflect.Float32, reflect.Float64:
		return v.Float(), true
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return float64(v.Int()), false
	default:
		return float64(v.Uint()), false
	}
}

// intParts splits an integer into sign and magnitude so that int64 and
// uint64 values compare without overflow.
func intParts(v reflect.Value) (neg bool, mag uint64) {
	switch v.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		i := v.Int()
		if i < 0 {
			return true, uint64(-(i + 1)) + 1
		}
		return false, uint64(i)
	default:
		return false, v.Uint()
	}
}
