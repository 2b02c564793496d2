/* placeholder: being written (issue 4) */
typedef int czi_sim_placeholder_detector;
