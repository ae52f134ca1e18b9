package loadgen

import (
	"fmt"
	"os"

	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
)

// plotDPI is the resolution of the report's PNG figures.
const plotDPI = 150

// savePlotPNG draws a figure of w by h on a PNG canvas and writes it to
// path. A panic while drawing (the plotting library panics on some data it
// cannot scale) comes back as an error naming the file.
func savePlotPNG(path string, w, h vg.Length, paint func(draw.Canvas)) (err error) {
	img := vgimg.NewWith(vgimg.UseWH(w, h), vgimg.UseDPI(plotDPI))
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("draw %s: %v", path, r)
		}
	}()
	paint(draw.New(img))
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if _, err := (vgimg.PngCanvas{Canvas: img}).WriteTo(f); err != nil {
		_ = f.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	return f.Close()
}
