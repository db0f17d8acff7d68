package docker

import (
	"context"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/moby/moby/client"
)

// pullTimeout bounds an image pull.
const pullTimeout = 5 * time.Minute

// ensureImage makes image available locally: already there, loaded from
// the `load` tar, or pulled from its registry.
func (d *Driver) ensureImage(c *client.Client, image, load string) error {
	ctx, cancel := context.WithTimeout(context.Background(), apiTimeout)
	defer cancel()
	if _, err := c.ImageInspect(ctx, image); err == nil {
		return nil
	}
	if load != "" {
		if err := loadImage(c, load); err != nil {
			return err
		}
		if _, err := c.ImageInspect(ctx, image); err != nil {
			return fmt.Errorf("image %s: not found after loading %s: %w", image, load, err)
		}
		return nil
	}
	if err := pullImage(c, image); err != nil {
		return fmt.Errorf("image %s not found locally and could not be pulled: %w", image, err)
	}
	return nil
}

func loadImage(c *client.Client, path string) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("config: load: %w", err)
	}
	defer f.Close()
	ctx, cancel := context.WithTimeout(context.Background(), pullTimeout)
	defer cancel()
	res, err := c.ImageLoad(ctx, f, client.ImageLoadWithQuiet(true))
	if err != nil {
		return fmt.Errorf("loading image from %s: %w", path, err)
	}
	defer res.Close()
	if _, err := io.Copy(io.Discard, res); err != nil {
		return fmt.Errorf("loading image from %s: %w", path, err)
	}
	return nil
}

func pullImage(c *client.Client, image string) error {
	ctx, cancel := context.WithTimeout(context.Background(), pullTimeout)
	defer cancel()
	res, err := c.ImagePull(ctx, image, client.ImagePullOptions{})
	if err != nil {
		return err
	}
	defer res.Close()
	return res.Wait(ctx)
}
