package structs

import (
	"bytes"
	"errors"
	"fmt"
	"reflect"

	"github.com/hashicorp/go-msgpack/v2/codec"
)

// MsgpackHandle is the msgpack configuration used for Raft entries, RPC
// bodies and state snapshots. Values stored in interface{} fields (a task's
// driver config) decode as map[string]any / []any with string values, the
// same shapes the JSON decoder produces, so drivers see one representation
// whichever path a job took. Struct fields are keyed by their json tag names.
var MsgpackHandle = newMsgpackHandle()

func newMsgpackHandle() *codec.MsgpackHandle {
	h := &codec.MsgpackHandle{}
	h.MapType = reflect.TypeOf(map[string]any(nil))
	// Strings are written with the str8 type and read back as strings, not
	// []byte, when the destination is an interface.
	h.RawToString = true
	h.WriteExt = true
	return h
}

// Encode serializes a Raft entry: one message type byte followed by the
// msgpack body.
func Encode(t MessageType, msg any) ([]byte, error) {
	var buf bytes.Buffer
	buf.WriteByte(byte(t))
	if err := codec.NewEncoder(&buf, MsgpackHandle).Encode(msg); err != nil {
		return nil, fmt.Errorf("encode message type %d: %w", t, err)
	}
	return buf.Bytes(), nil
}

// Decode reads a msgpack body (without the type byte) into out, which must
// be a pointer.
func Decode(buf []byte, out any) error {
	if err := codec.NewDecoderBytes(buf, MsgpackHandle).Decode(out); err != nil {
		return fmt.Errorf("decode msgpack into %T: %w", out, err)
	}
	return nil
}

// EncodeMsgpack serializes v with MsgpackHandle, without a type byte.
func EncodeMsgpack(v any) ([]byte, error) {
	var out []byte
	if err := codec.NewEncoderBytes(&out, MsgpackHandle).Encode(v); err != nil {
		return nil, fmt.Errorf("encode %T as msgpack: %w", v, err)
	}
	return out, nil
}

// DecodeMsgpack is the inverse of EncodeMsgpack.
func DecodeMsgpack(buf []byte, out any) error {
	if len(buf) == 0 {
		return errors.New("decode msgpack: empty input")
	}
	return Decode(buf, out)
}
