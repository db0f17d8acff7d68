package docker

import (
	"testing"

	"github.com/appmesh/appmesh/drivers"
	"github.com/appmesh/appmesh/structs"
)

// memory_max = -1 gives the container no memory limit, only a reservation.
func TestResourcesMemoryMaxUnlimited(t *testing.T) {
	r := resources(&drivers.TaskConfig{Resources: &structs.Resources{MemoryMB: 64, MemoryMaxMB: structs.MemoryMaxUnlimited}})
	if r.Memory != 0 || r.MemoryReservation != 64<<20 || r.MemorySwap != 0 {
		t.Fatalf("memory_max = -1: memory %d reservation %d swap %d; want no limit, 64 MB reserved", r.Memory, r.MemoryReservation, r.MemorySwap)
	}
}
