# cmake -P script: install the netpol_client component, build the example
# consumer against the installed package only, and run it with no server
# (it must print the fail-closed verdict and exit 0).
foreach(var BUILD_DIR EXAMPLE_DIR WORK_DIR CXX_COMPILER)
  if(NOT ${var})
    message(FATAL_ERROR "${var} is not set")
  endif()
endforeach()

function(run)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc
    OUTPUT_VARIABLE out ERROR_VARIABLE out)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "failed (${rc}): ${ARGN}\n${out}")
  endif()
  set(OUTPUT "${out}" PARENT_SCOPE)
endfunction()

file(REMOVE_RECURSE ${WORK_DIR})
set(prefix ${WORK_DIR}/prefix)
run(${CMAKE_COMMAND} --install ${BUILD_DIR} --prefix ${prefix}
    --component netpol_client)
run(${CMAKE_COMMAND} -S ${EXAMPLE_DIR} -B ${WORK_DIR}/build -G Ninja
    -DCMAKE_PREFIX_PATH=${prefix}
    -DCMAKE_CXX_COMPILER=${CXX_COMPILER}
    "-DCMAKE_CXX_FLAGS=${CXX_FLAGS}"
    -DCMAKE_BUILD_TYPE=${BUILD_TYPE})
run(${CMAKE_COMMAND} --build ${WORK_DIR}/build -j2)
# Port 1 on loopback: nothing listens, so the client must fail closed.
run(${WORK_DIR}/build/netpol-client-example --server 127.0.0.1:1)
if(NOT OUTPUT MATCHES "DENY \\(UNAVAILABLE")
  message(FATAL_ERROR "expected a fail-closed verdict, got:\n${OUTPUT}")
endif()
run(${WORK_DIR}/build/netpol-client-example --help)
message(STATUS "example output:\n${OUTPUT}")
