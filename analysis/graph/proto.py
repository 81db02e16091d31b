"""TensorFlow's GraphDef schema, declared here so saved graphs parse without importing TensorFlow.

Only the messages a GraphDef reaches are declared (field numbers follow tensorflow/core/framework/*.proto;
tests/graph/test_proto.py compares them with TensorFlow's own descriptors). DataType is an open (proto3) enum, so
binary files with types newer than our table still parse. Unknown fields in binary files are kept by
protobuf and ignored by us; text files are parsed with unknown fields allowed.
"""
from __future__ import annotations

from google.protobuf import descriptor_pb2, descriptor_pool, message_factory

from nanscope.analysis.domain.dtypes import enum_values

_F = descriptor_pb2.FieldDescriptorProto
_PACKAGE = "nanscope.tfproto"

# (name, number, type, label, type_name or None)
_OPT, _REP = _F.LABEL_OPTIONAL, _F.LABEL_REPEATED


def _msg(name: str, fields: list[tuple], nested: list[descriptor_pb2.DescriptorProto] = (),
         oneofs: dict[str, list[str]] | None = None, map_entry: bool = False) -> descriptor_pb2.DescriptorProto:
    message = descriptor_pb2.DescriptorProto(name=name)
    if map_entry:
        message.options.map_entry = True
    oneof_index = {}
    for index, (oneof_name, members) in enumerate((oneofs or {}).items()):
        message.oneof_decl.add(name=oneof_name)
        oneof_index.update({member: index for member in members})
    for field_name, number, field_type, label, type_name in fields:
        field = message.field.add(name=field_name, number=number, type=field_type, label=label)
        if type_name:
            field.type_name = type_name
        if field_name in oneof_index:
            field.oneof_index = oneof_index[field_name]
        if label == _REP and field_type in _PACKABLE:
            field.options.packed = True
    message.nested_type.extend(nested)
    return message


_PACKABLE = {_F.TYPE_INT32, _F.TYPE_INT64, _F.TYPE_UINT32, _F.TYPE_UINT64, _F.TYPE_FLOAT, _F.TYPE_DOUBLE,
             _F.TYPE_BOOL, _F.TYPE_ENUM}


def _q(name: str) -> str:
    return f".{_PACKAGE}.{name}"


def _map_entry(entry_name: str, value_type: int, value_type_name: str | None) -> descriptor_pb2.DescriptorProto:
    return _msg(entry_name, [("key", 1, _F.TYPE_STRING, _OPT, None),
                             ("value", 2, value_type, _OPT, value_type_name)], map_entry=True)


def _build_file() -> descriptor_pb2.FileDescriptorProto:
    f = descriptor_pb2.FileDescriptorProto(name="nanscope_tfproto.proto", package=_PACKAGE, syntax="proto3")
    T = _F
    data_type = f.enum_type.add(name="DataType")
    for name, number in enum_values():
        data_type.value.add(name=name, number=number)
    f.message_type.extend([
        _msg("TensorShapeProto", [
            ("dim", 2, T.TYPE_MESSAGE, _REP, _q("TensorShapeProto.Dim")),
            ("unknown_rank", 3, T.TYPE_BOOL, _OPT, None),
        ], nested=[_msg("Dim", [("size", 1, T.TYPE_INT64, _OPT, None), ("name", 2, T.TYPE_STRING, _OPT, None)])]),
        _msg("TensorProto", [
            ("dtype", 1, T.TYPE_ENUM, _OPT, _q("DataType")),
            ("tensor_shape", 2, T.TYPE_MESSAGE, _OPT, _q("TensorShapeProto")),
            ("version_number", 3, T.TYPE_INT32, _OPT, None),
            ("tensor_content", 4, T.TYPE_BYTES, _OPT, None),
            ("float_val", 5, T.TYPE_FLOAT, _REP, None),
            ("double_val", 6, T.TYPE_DOUBLE, _REP, None),
            ("int_val", 7, T.TYPE_INT32, _REP, None),
            ("string_val", 8, T.TYPE_BYTES, _REP, None),
            ("scomplex_val", 9, T.TYPE_FLOAT, _REP, None),
            ("int64_val", 10, T.TYPE_INT64, _REP, None),
            ("bool_val", 11, T.TYPE_BOOL, _REP, None),
            ("dcomplex_val", 12, T.TYPE_DOUBLE, _REP, None),
            ("half_val", 13, T.TYPE_INT32, _REP, None),
            ("uint32_val", 16, T.TYPE_UINT32, _REP, None),
            ("uint64_val", 17, T.TYPE_UINT64, _REP, None),
        ]),
        _msg("NameAttrList", [
            ("name", 1, T.TYPE_STRING, _OPT, None),
            ("attr", 2, T.TYPE_MESSAGE, _REP, _q("NameAttrList.AttrEntry")),
        ], nested=[_map_entry("AttrEntry", T.TYPE_MESSAGE, _q("AttrValue"))]),
        _msg("AttrValue", [
            ("list", 1, T.TYPE_MESSAGE, _OPT, _q("AttrValue.ListValue")),
            ("s", 2, T.TYPE_BYTES, _OPT, None),
            ("i", 3, T.TYPE_INT64, _OPT, None),
            ("f", 4, T.TYPE_FLOAT, _OPT, None),
            ("b", 5, T.TYPE_BOOL, _OPT, None),
            ("type", 6, T.TYPE_ENUM, _OPT, _q("DataType")),
            ("shape", 7, T.TYPE_MESSAGE, _OPT, _q("TensorShapeProto")),
            ("tensor", 8, T.TYPE_MESSAGE, _OPT, _q("TensorProto")),
            ("placeholder", 9, T.TYPE_STRING, _OPT, None),
            ("func", 10, T.TYPE_MESSAGE, _OPT, _q("NameAttrList")),
        ], nested=[_msg("ListValue", [
            ("s", 2, T.TYPE_BYTES, _REP, None),
            ("i", 3, T.TYPE_INT64, _REP, None),
            ("f", 4, T.TYPE_FLOAT, _REP, None),
            ("b", 5, T.TYPE_BOOL, _REP, None),
            ("type", 6, T.TYPE_ENUM, _REP, _q("DataType")),
            ("shape", 7, T.TYPE_MESSAGE, _REP, _q("TensorShapeProto")),
            ("tensor", 8, T.TYPE_MESSAGE, _REP, _q("TensorProto")),
            ("func", 9, T.TYPE_MESSAGE, _REP, _q("NameAttrList")),
        ])], oneofs={"value": ["list", "s", "i", "f", "b", "type", "shape", "tensor", "placeholder", "func"]}),
        _msg("NodeDef", [
            ("name", 1, T.TYPE_STRING, _OPT, None),
            ("op", 2, T.TYPE_STRING, _OPT, None),
            ("input", 3, T.TYPE_STRING, _REP, None),
            ("device", 4, T.TYPE_STRING, _OPT, None),
            ("attr", 5, T.TYPE_MESSAGE, _REP, _q("NodeDef.AttrEntry")),
        ], nested=[_map_entry("AttrEntry", T.TYPE_MESSAGE, _q("AttrValue"))]),
        _msg("ArgDef", [
            ("name", 1, T.TYPE_STRING, _OPT, None),
            ("type", 3, T.TYPE_ENUM, _OPT, _q("DataType")),
            ("type_attr", 4, T.TYPE_STRING, _OPT, None),
            ("number_attr", 5, T.TYPE_STRING, _OPT, None),
            ("type_list_attr", 6, T.TYPE_STRING, _OPT, None),
        ]),
        _msg("OpDef", [
            ("name", 1, T.TYPE_STRING, _OPT, None),
            ("input_arg", 2, T.TYPE_MESSAGE, _REP, _q("ArgDef")),
            ("output_arg", 3, T.TYPE_MESSAGE, _REP, _q("ArgDef")),
        ]),
        _msg("FunctionDef", [
            ("signature", 1, T.TYPE_MESSAGE, _OPT, _q("OpDef")),
            ("node_def", 3, T.TYPE_MESSAGE, _REP, _q("NodeDef")),
            ("ret", 4, T.TYPE_MESSAGE, _REP, _q("FunctionDef.RetEntry")),
        ], nested=[_map_entry("RetEntry", T.TYPE_STRING, None)]),
        _msg("FunctionDefLibrary", [
            ("function", 1, T.TYPE_MESSAGE, _REP, _q("FunctionDef")),
        ]),
        _msg("VersionDef", [
            ("producer", 1, T.TYPE_INT32, _OPT, None),
            ("min_consumer", 2, T.TYPE_INT32, _OPT, None),
        ]),
        _msg("GraphDef", [
            ("node", 1, T.TYPE_MESSAGE, _REP, _q("NodeDef")),
            ("library", 2, T.TYPE_MESSAGE, _OPT, _q("FunctionDefLibrary")),
            ("versions", 4, T.TYPE_MESSAGE, _OPT, _q("VersionDef")),
        ]),
    ])
    return f


_POOL = descriptor_pool.DescriptorPool()
_POOL.Add(_build_file())


def _message_class(name: str):
    return message_factory.GetMessageClass(_POOL.FindMessageTypeByName(f"{_PACKAGE}.{name}"))


GraphDef = _message_class("GraphDef")
NodeDef = _message_class("NodeDef")
AttrValue = _message_class("AttrValue")
TensorProto = _message_class("TensorProto")
TensorShapeProto = _message_class("TensorShapeProto")
