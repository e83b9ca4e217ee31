# Instrumented builds, each in a build directory of its own (the Makefile's
# test-asan, test-tsan and fuzz targets):
#   -DCAIRN_SANITIZE=address,undefined  or  =thread   every target instrumented
#   -DCAIRN_FUZZ=ON   (clang) adds the libFuzzer targets in fuzz/; every
#                     library is built with the fuzzer's coverage hooks and
#                     ASan + UBSan, so what a fuzz target links is what it checks
set(CAIRN_SANITIZE "" CACHE STRING "Sanitizers for every target (-fsanitize=VALUE), e.g. address,undefined or thread")
option(CAIRN_FUZZ "Build the libFuzzer targets in fuzz/ (needs clang)" OFF)

if(CAIRN_FUZZ)
  if(NOT CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
    message(FATAL_ERROR "CAIRN_FUZZ needs clang for libFuzzer: configure with CXX=clang++-14")
  endif()
  if(NOT CAIRN_SANITIZE)
    set(CAIRN_SANITIZE address,undefined)
  endif()
  # Coverage hooks without libFuzzer's main(): only the fuzz targets link
  # -fsanitize=fuzzer (fuzz/CMakeLists.txt), everything else stays linkable.
  add_compile_options(-fsanitize=fuzzer-no-link)
endif()

if(CAIRN_SANITIZE)
  # No recovery: a report must fail its test or fuzz run, not scroll by.
  add_compile_options(-fsanitize=${CAIRN_SANITIZE} -fno-sanitize-recover=all -fno-omit-frame-pointer)
  add_link_options(-fsanitize=${CAIRN_SANITIZE})
  if(CAIRN_SANITIZE MATCHES "thread" AND CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
    # GCC warns that TSan does not model atomic_thread_fence, used by Asio's
    # std_fenced_block around every handler. Each worker runs its own
    # io_context, and handlers that cross threads go through Asio's mutexes,
    # which TSan does see; the warning is the same thirty times per build.
    add_compile_options(-Wno-tsan)
  endif()
endif()
