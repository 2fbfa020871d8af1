"""Assets shipped with talkface_core: the demo head (ICT FaceKit, MIT; see LICENSE-ICT-FaceKit.txt)
as a compact array file, its bpy-free loader, and the script that converts it from the .blend."""
