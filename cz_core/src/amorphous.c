/* placeholder: being written */
typedef int czi_placeholder_amorphous;
