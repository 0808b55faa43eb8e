#include "cli/cli.h"

int main(int argc, char** argv) { return fnq::cli::run(argc, argv); }
