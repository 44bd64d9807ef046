# Classic vitis_hls Tcl flow for one kernel (for Vitis HLS versions before the unified v++ flow):
#   vitis_hls -f run_hls.tcl -tclargs tf_gemv_q8 [csim|csynth|cosim|export]
# Runs from this folder; project directories are created as hls/proj_<kernel>.
set kernel [lindex $argv 0]
set step   [expr {[llength $argv] > 1 ? [lindex $argv 1] : "export"}]
set src ../kernels
open_project -reset proj_$kernel
set_top $kernel
add_files $src/$kernel.cpp -cflags "-I../include -std=c++14"
add_files -tb $src/${kernel}_test.cpp -cflags "-I../include -I../testbench -std=c++14"
add_files -tb ../testbench/tf_testbench.h
open_solution -reset solution1 -flow_target vitis
# Alveo U280 part, 300 MHz (3.33 ns): same as hls_config.cfg.
set_part xcu280-fsvh2892-2L-e
create_clock -period 3.33 -name default
csim_design
if {$step eq "csim"} { exit }
csynth_design
if {$step eq "csynth"} { exit }
if {$step eq "cosim"} { cosim_design; exit }
export_design -format xo -output $kernel.xo
exit
