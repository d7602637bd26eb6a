# install() rules and the CMake package, so that another project can `find_package(lp2p)` and
# link `lp2p::lp2p`.
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

install(TARGETS lp2p lp2p_build_flags EXPORT lp2pTargets
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
  INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(DIRECTORY include/lp2p DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(FILES ${PROJECT_BINARY_DIR}/include/lp2p/version.hpp
  DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/lp2p)
install(TARGETS lp2p_cli RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})

set(LP2P_CMAKE_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/lp2p)
install(EXPORT lp2pTargets NAMESPACE lp2p:: DESTINATION ${LP2P_CMAKE_DIR})
configure_package_config_file(cmake/lp2pConfig.cmake.in
  ${PROJECT_BINARY_DIR}/lp2pConfig.cmake INSTALL_DESTINATION ${LP2P_CMAKE_DIR})
write_basic_package_version_file(${PROJECT_BINARY_DIR}/lp2pConfigVersion.cmake
  COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/lp2pConfig.cmake ${PROJECT_BINARY_DIR}/lp2pConfigVersion.cmake
  DESTINATION ${LP2P_CMAKE_DIR})
