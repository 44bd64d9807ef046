/**
 * Scale benchmarks on a >= 1 B-parameter synthetic Llama (not part of the default tests). Every
 * figure these print is labeled measured (host wall clock on this machine, emulation) or modeled
 * (from the package's {@code dataflow.json} estimate for the card).
 *
 * <p>Commands, from the repository root (build once with {@code ./mvnw -q -B -DskipTests package};
 * {@code CP="cli/target/tokenfab-cli.jar:cli/target/lib/*"}, {@code J="java --enable-native-access=ALL-UNNAMED"}
 * with the JDK 25 that {@code .mvn/tokenfab/select-jdk.sh} selects; {@code MODELS} is a folder with ~12 GB free):
 * <pre>
 * # a. the model: 1.1 B parameters (TinyLlama shape), fp32, external data (~4.4 GB, ~1 min)
 * ./tokenfab synth --layers 22 --hidden 2048 --heads 32 --kv-heads 4 --intermediate 5632 --vocab 32000 \
 *     --max-context 2048 --external-data -o $MODELS/llama1b/model.onnx
 * # b. compile benchmark: child JVM -Xmx2g on cores 0,1 vs cat of the same bytes (drops the page cache as root)
 * $J -cp "$CP" dev.tokenfab.bench.scale.CompileBench . $MODELS/llama1b/model.onnx \
 *     $MODELS/llama1b-int4.tfpkg $MODELS/out
 * ./tokenfab compile $MODELS/llama1b/model.onnx --quant int8 --platform u55c -o $MODELS/llama1b-int8.tfpkg
 * # c. host overhead per token (emu, or XRT's noop shim), and resident vs streamed weights
 * $J -cp "$CP" dev.tokenfab.bench.scale.HostOverheadBench $MODELS/llama1b-int4.tfpkg emu resident 20 40
 * # the same with one downcall per kernel instead of the recorded program (the emu default), and the host path
 * # alone (kernel bodies skipped: warm caches, as beside a real card)
 * $J -Dtokenfab.bench.launchMode=DIRECT -cp "$CP" dev.tokenfab.bench.scale.HostOverheadBench $MODELS/llama1b-int4.tfpkg emu resident 20 40
 * $J -cp "$CP" dev.tokenfab.bench.scale.HostOverheadBench $MODELS/llama1b-int4.tfpkg emu-noop resident 200 1500
 * mkdir -p ~/.tokenfab/xrt &amp;&amp; ln -sfn /usr/lib/x86_64-linux-gnu ~/.tokenfab/xrt/lib
 * XILINX_XRT=~/.tokenfab/xrt XCL_EMULATION_MODE=noop $J -cp "$CP" dev.tokenfab.bench.scale.HostOverheadBench \
 *     $MODELS/llama1b-int4.tfpkg xrt resident 10 30     # results: bench/README.md, "Host overhead per token on XRT's noop shim"
 * $J -cp "$CP" dev.tokenfab.bench.scale.HostOverheadBench $MODELS/llama1b-int4.tfpkg emu streamed 2 8
 * $J -cp "$CP" dev.tokenfab.bench.scale.HostOverheadBench $MODELS/llama1b-int4.tfpkg emu streamed_sequential 2 8
 * # d. tokens/s/W harness against ONNX Runtime CPU on the fp32 model
 * ./tokenfab bench $MODELS/llama1b-int4.tfpkg --baseline $MODELS/llama1b/model.onnx \
 *     --device emu --workload pp16+tg16 --report out/
 * </pre>
 */
package dev.tokenfab.bench.scale;
