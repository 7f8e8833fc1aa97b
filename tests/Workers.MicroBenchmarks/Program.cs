using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Running;
using BenchmarkDotNet.Toolchains.InProcess.Emit;
using Workers.MicroBenchmarks.Pooling;

// Micro-benchmarks of the hot path (issue 15, item 5; specs/performance.md, "Micro-benchmarks"). The benchmarks run in this
// process: BenchmarkDotNet's default toolchain would build a generated project under this repository's Directory.Build.props
// (warnings as errors, central package versions), which it is not written for. The mutator adds the toolchain to whatever
// job the command line picks (`--job short`, say).
var config = DefaultConfig.Instance.AddJob(Job.Default.WithToolchain(InProcessEmitToolchain.Instance).AsMutator());
BenchmarkSwitcher.FromAssembly(typeof(PoolLeaseBenchmarks).Assembly).Run(args, config);
