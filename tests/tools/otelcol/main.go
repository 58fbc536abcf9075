// A collector for the tests: the OTLP receiver of every collector distribution, and an exporter
// that appends each batch of spans, as OTLP JSON, one line per batch, to a file the test reads.
// The module proxy serves no build of a distribution (cmd/otelcorecol), and contrib's fileexporter
// at this release needs a module it refuses (otlpencodingextension v0.165.1): hence this small one.
package main

import (
	"context"
	"errors"
	"log"
	"os"
	"sync"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/confmap"
	"go.opentelemetry.io/collector/confmap/provider/fileprovider"
	"go.opentelemetry.io/collector/exporter"
	"go.opentelemetry.io/collector/exporter/exporterhelper"
	"go.opentelemetry.io/collector/otelcol"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.opentelemetry.io/collector/receiver"
	"go.opentelemetry.io/collector/receiver/otlpreceiver"
	"go.opentelemetry.io/collector/service/telemetry/otelconftelemetry"
)

// Set by the build (-ldflags -X main.version=...): the collector release it is built from.
var version = "unknown"

type fileConfig struct {
	Path string `mapstructure:"path"`
}

func (c *fileConfig) Validate() error {
	if c.Path == "" {
		return errors.New("path is required")
	}
	return nil
}

func fileExporterFactory() exporter.Factory {
	return exporter.NewFactory(
		component.MustNewType("jsonfile"),
		func() component.Config { return &fileConfig{} },
		exporter.WithTraces(func(ctx context.Context, set exporter.Settings, cfg component.Config) (exporter.Traces, error) {
			path := cfg.(*fileConfig).Path
			var mu sync.Mutex
			var marshaler ptrace.JSONMarshaler
			return exporterhelper.NewTraces(ctx, set, cfg, func(_ context.Context, td ptrace.Traces) error {
				line, err := marshaler.MarshalTraces(td)
				if err != nil {
					return err
				}
				mu.Lock()
				defer mu.Unlock()
				f, err := os.OpenFile(path, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
				if err != nil {
					return err
				}
				defer f.Close()
				_, err = f.Write(append(line, '\n'))
				return err
			})
		}, component.StabilityLevelDevelopment),
	)
}

func main() {
	settings := otelcol.CollectorSettings{
		BuildInfo: component.BuildInfo{Command: "otelcol-tests", Description: "OTLP receiver writing spans to a file, for tests", Version: version},
		Factories: func() (otelcol.Factories, error) {
			receivers, err := otelcol.MakeFactoryMap[receiver.Factory](otlpreceiver.NewFactory())
			if err != nil {
				return otelcol.Factories{}, err
			}
			exporters, err := otelcol.MakeFactoryMap[exporter.Factory](fileExporterFactory())
			return otelcol.Factories{Receivers: receivers, Exporters: exporters, Telemetry: otelconftelemetry.NewFactory()}, err
		},
		ConfigProviderSettings: otelcol.ConfigProviderSettings{
			// Only `--config=file:...`: the test writes the whole configuration, with no ${...} to expand.
			ResolverSettings: confmap.ResolverSettings{ProviderFactories: []confmap.ProviderFactory{fileprovider.NewFactory()}, DefaultScheme: "file"},
		},
	}
	if err := otelcol.NewCommand(settings).Execute(); err != nil {
		log.Fatal(err)
	}
}
