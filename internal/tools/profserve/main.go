// Command profserve is a developer tool, not shipped: tandem serve with
// net/http/pprof on 127.0.0.1:6060, for profiling under load.
package main

import (
	"context"
	"net/http"
	_ "net/http/pprof"
	"os"
	"os/signal"

	"github.com/tandemhq/tandem/app"
)

func main() {
	go http.ListenAndServe("127.0.0.1:6060", nil)
	m := &app.Main{DataDir: os.Getenv("TANDEM_DATA"), DatabaseURL: os.Getenv("TANDEM_DATABASE_URL"), Addr: os.Getenv("TANDEM_ADDR"), Stdout: os.Stdout}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := m.Run(ctx); err != nil {
		panic(err)
	}
	<-ctx.Done()
	m.Close()
}
