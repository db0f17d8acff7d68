package main

import (
	"os"

	"github.com/appmesh/appmesh/internal/testutil"
)

func removeImage(tag string) { testutil.RemoveImage(tag) }

func removeAll(dir string) { _ = os.RemoveAll(dir) }
