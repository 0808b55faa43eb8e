#include "daemon/daemon.h"

int main(int argc, char** argv) { return fnq::run_daemon(argc, argv); }
