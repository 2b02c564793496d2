/** cz.h — umbrella header of libczcore. */
#ifndef CZ_H
#define CZ_H
#include "cz/cz_amorphous.h"
#include "cz/cz_atoms.h"
#include "cz/cz_base.h"
#include "cz/cz_composition.h"
#include "cz/cz_defects.h"
#include "cz/cz_elements.h"
#include "cz/cz_error.h"
#include "cz/cz_fill.h"
#include "cz/cz_io.h"
#include "cz/cz_lattice.h"
#include "cz/cz_ligands.h"
#include "cz/cz_particles.h"
#include "cz/cz_placement.h"
#include "cz/cz_rng.h"
#include "cz/cz_scene.h"
#include "cz/cz_strain.h"
#include "cz/cz_substrate.h"
#include "cz/cz_spec.h"
#include "cz/cz_transform.h"
#include "cz/cz_volume.h"
#endif
