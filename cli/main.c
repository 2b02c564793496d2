/* main.c — entry point of the `cz` program: dispatches to the subcommands in `commands`. */
#define _POSIX_C_SOURCE 200809L

#include <stdio.h>
#include <string.h>

#include "cli.h"

/* Adding a subcommand (image, relax, dataset, ...) is one row here plus its file. */
static const cli_command commands[] = {
    {"build", "build a crystal particle or slab and write it (extxyz, LAMMPS data, Prismatic)",
     cli_build_help, cli_build_main},
    {"info", "describe a structure file: counts, labels, cell, bounding box, closest pair",
     cli_info_help, cli_info_main},
    {"image", "simulate HRTEM images of a structure (multislice) and write them to HDF5",
     cli_image_help, cli_image_main},
    {"relax", "relax a structure with LAMMPS (EAM, Tersoff, AIREBO; minimise or anneal)",
     cli_relax_help, cli_relax_main},
    {"dataset", "generate a labelled HRTEM training set (HDF5 shards, manifest, previews)",
     cli_dataset_help, cli_dataset_main},
};
static const size_t ncommands = sizeof commands / sizeof commands[0];

static const cli_command *find_command(const char *name) {
    for (size_t i = 0; i < ncommands; ++i)
        if (strcmp(commands[i].name, name) == 0) return &commands[i];
    return NULL;
}

static void print_usage(void) {
    printf("cz %s — atomic structures for HRTEM simulation\n\n", cz_version());
    printf("Usage: cz <command> [options]\n       cz help <command>\n\nCommands:\n");
    for (size_t i = 0; i < ncommands; ++i)
        printf("  %-8s %s\n", commands[i].name, commands[i].summary);
    printf("\nOptions:\n  -h, --help     show this help\n  --version      print the version\n");
    printf("\nLengths are in Å, angles in degrees. Every command answers --help.\n");
    printf("Example:\n  cz build --default -o out/default.xyz --preview out/default.png\n");
}

int main(int argc, char **argv) {
    if (argc < 2) return cli_error(CLI_USAGE, NULL, "missing command (try 'cz --help')");
    const char *first = argv[1];
    if (strcmp(first, "-h") == 0 || strcmp(first, "--help") == 0) {
        print_usage();
        return CLI_OK;
    }
    if (strcmp(first, "--version") == 0 || strcmp(first, "-V") == 0) {
        printf("cz %s\n", cz_version());
        return CLI_OK;
    }
    if (strcmp(first, "help") == 0) {
        if (argc < 3) {
            print_usage();
            return CLI_OK;
        }
        const cli_command *cmd = find_command(argv[2]);
        if (!cmd)
            return cli_error(CLI_USAGE, NULL, "unknown command '%s' (try 'cz --help')", argv[2]);
        cli_print_help(cmd->help);
        return CLI_OK;
    }
    const cli_command *cmd = find_command(first);
    if (!cmd) {
        if (first[0] == '-')
            return cli_error(CLI_USAGE, NULL, "unknown option '%s' (try 'cz --help')", first);
        return cli_error(CLI_USAGE, NULL, "unknown command '%s' (try 'cz --help')", first);
    }
    return cmd->run(argc - 1, argv + 1);
}
